"""metarrd: keeps a Kodi-style movie and TV library correctly tagged."""

__version__ = "0.1.0"
