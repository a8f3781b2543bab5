"""catalogsync: catalog-as-code for billing systems.

Declare packages, products and package-products in YAML; catalogsync fetches the live
catalog from the billing system, shows a plan of what would change, and applies it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
