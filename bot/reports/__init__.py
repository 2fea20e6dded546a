"""Month figures, the monthly chart and the spreadsheet export (issue 8)."""
