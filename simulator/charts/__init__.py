"""altair chart builders shared by the app, the CLI and the exports.

Import builders from their modules (``simulator.charts.forecast`` etc.); ``theme``
holds the colour-blind-safe palette and number formats every chart uses.
"""
