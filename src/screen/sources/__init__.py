"""Importers of outside records (ClinicalTrials.gov) into case files."""
