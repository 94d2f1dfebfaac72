"""The app's pages, drawn with streamlit: `search`, `collections`, `reports`, and `common`
(the cached library, the current collection, messages).  The logic they show is in the
library and in `findings.webapp`'s streamlit-free modules; these modules only lay it out.
"""
