"""``python -m bench`` runs every benchmark (today: the export benchmark)."""

from bench.export_bench import main

main()
