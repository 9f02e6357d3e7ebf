"""The builder side: the app definition format, whole-document validation, and the app lifecycle."""
