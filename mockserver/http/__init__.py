"""The wire: parse requests, call the domain, render responses. Nothing else."""
