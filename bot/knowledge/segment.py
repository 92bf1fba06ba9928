"""Cut text into the terms the index stores and a question is searched with.

Chinese is written without spaces, and most of its words are two characters long, so a
run of Chinese characters becomes its overlapping pairs ("股权分配" -> 股权 权分 分配):
every two-character word in the text is then a term, at the cost of a few meaningless
pairs that no question shares. Latin words are kept whole and lower-cased (the English
table stems them). Question words that say nothing about the topic ("how", "怎么") are
dropped from questions only, so they neither score nor rescue an unrelated question.
"""

from __future__ import annotations

import re

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECE = re.compile(rf"[{_CJK}]+|[a-z0-9][a-z0-9+#.\-]*[a-z0-9+#]|[a-z0-9]")
_HAS_CJK = re.compile(rf"[{_CJK}]")

_EN_STOP = """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves get got im ive dont doesnt cant wont want need know think really thing things
    something anything way ways one also much many lot lots good best better bad make makes
    making go going tell please help us should shall may might must"""
EN_STOPWORDS = frozenset(_EN_STOP.split())

# two-character pieces of Chinese questions that carry no topic
_ZH_STOP = """怎么 么办 怎样 什么 么样 如何 应该 该怎 是不 不是 可以 我们
    你们 他们 一个 这个 那个 现在
    需要 还是 是否 有没 没有 哪些 为什 为何 吗？ 一下 请问 想问 问一 我想 要不 不要 要怎 么做 我的
    的话 时候 这样 那么 还有 或者 能不 不能 多少 么时 好的 是什 大家 觉得 你好 谢谢 帮我 告诉
    一些 有什 么是 么好 就是 已经 因为 所以 但是 而且 的是 了吗 呢？
    会不 不会 这么 不知 知道 么多 注意 要注 意什"""
ZH_STOP_PAIRS = frozenset(_ZH_STOP.split())


def has_cjk(text: str) -> bool:
    """Whether the text has any Chinese characters."""
    return bool(_HAS_CJK.search(text))


def terms(text: str) -> list[str]:
    """Every term of a text, in order: Chinese pairs and whole Latin words."""
    out: list[str] = []
    for piece in _PIECE.findall(text.lower()):
        if _HAS_CJK.match(piece):
            if len(piece) == 1:
                out.append(piece)
            else:
                out.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        else:
            out.append(piece)
    return out


def index_text(text: str) -> str:
    """A text as the Chinese table stores it: its terms separated by spaces."""
    return " ".join(terms(text))


def question_terms(text: str) -> list[str]:
    """The terms of a question worth searching for (no question words), each once."""
    kept = [
        t
        for t in terms(text)
        if t not in EN_STOPWORDS and t not in ZH_STOP_PAIRS and (len(t) > 1 or has_cjk(t))
    ]
    return list(dict.fromkeys(kept))
