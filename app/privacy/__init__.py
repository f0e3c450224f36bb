"""UK-law behaviours (SECURITY.md §10): retention, subject access, erasure and restriction."""
