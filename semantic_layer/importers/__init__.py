"""Importers: semantic models written for other tools, converted into chatbi's model format."""
