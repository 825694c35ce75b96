"""Repository tools that ship with the package (run as `python -m hf_sentiment.utils.<tool>`)."""
