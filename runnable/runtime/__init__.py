"""Executes steps and walks graphs: parameter binding, returns, catalog, retries."""
