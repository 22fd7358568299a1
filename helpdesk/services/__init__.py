"""Services apply the domain to models in one transaction; callers pass session and `now`."""
