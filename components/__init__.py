"""Rasa server-side extensions: NLU components, policies, tracker store."""
