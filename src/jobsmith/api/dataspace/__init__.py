"""The EDPS-compatible dataspace face (``/v1/dataspace``)."""
