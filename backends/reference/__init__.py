"""The numpy reference backend: an interpreter of the IR over batches of draws."""
from .executor import BoundReference, ReferenceBackend, element_names

__all__ = ["ReferenceBackend", "BoundReference", "element_names"]
