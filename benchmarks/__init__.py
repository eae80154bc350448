"""Lofte's benchmarks: `lofte bench_core`, `bench_email`, `bench_eta` and `bench_promises`.

Outside the domain apps: they may import any of lofte, and lofte never imports them.
Each runs in a database of its own (`database.bench_database`); `seed` writes their rows.
"""
