"""Run-log stores, catalogs and secret sources behind small interfaces."""
