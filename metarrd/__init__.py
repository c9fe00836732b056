"""metarrd: keeps a Kodi-style movie library correctly tagged."""

__version__ = "0.1.0"
