"""The web app's own logic, behind the Streamlit view `app.py`: page logic that is not a widget.

`views` holds the search page's filters, result cards and selection; `collection` the
Collection page's table, charts and uploads.  Nothing here imports streamlit, so it is all
tested without a browser; the library (`findings.*`) never imports from here.
"""
