"""Migration snippets: static checks against API profiles, and running them."""
