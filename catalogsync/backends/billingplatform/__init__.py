"""BillingPlatform REST 2.0 backend: HTTP client (`client`) and wire models (`wire`)."""
