"""Reports: figures for coordinators, funders and donors, aggregated in SQL, never a family's personal data."""
