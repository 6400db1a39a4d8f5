"""Checks of the Makefiles that ``BuildMethod: makefile`` functions and layers are built with."""
