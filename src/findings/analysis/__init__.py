"""The questions an analyst asks after finding a paragraph, answered from the index:

- `followup`: what later reports of the same council said about each recommendation;
- `trends`: how often a theme is a strong match, by year, report type and grade, as strength
  or area for improvement;
- `compare`: two to four councils' findings on one theme, side by side.

Each takes a `Library` and returns plain dataclasses; the CLI and the app only show them.
"""
