"""Exports for finance: PowerPoint deck, Excel workbook, CSV and chart images."""
