"""What several faces share: role guards, the form base, navigation, account and ticket pages.

Faces (portal, agent, supervisor, settings, auth, api, attachments) import this package,
services, models and the domain, never each other.
"""
