"""The Coach service and how its replies are presented."""

from bot.coach.present import Presenter
from bot.coach.service import Coach, pick_locale

__all__ = ["Coach", "Presenter", "pick_locale"]
