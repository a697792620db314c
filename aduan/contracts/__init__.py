"""Request and query contracts: the pydantic models a service validates with and the gateway
describes in its OpenAPI document. Pure data (pydantic, the domain, the standard library), so
the gateway knows the shape of every request without loading any service."""
