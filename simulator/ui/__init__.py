"""Streamlit building blocks used by ``app.py`` (kept out of the app script to be testable)."""
