"""The rules of the product: pure Python, no database, broker, web or storage imports."""
