# the handler lives in app.py, not invoices.py
