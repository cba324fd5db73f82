"""asv's benchmark package (asv.conf.json's benchmark_dir); the suite is ops.py."""
