"""dealscreen: an investment-screening rules engine for healthcare venture investors."""

__version__ = "0.1.0"
