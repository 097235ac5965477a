"""The support library the acceptance steps stand on."""
