"""What the OpenAPI document says beyond Litestar's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

# Litestar's own plugin for msgspec Structs; only reachable through a private module (the
# version is pinned below 3, and tests/api/test_openapi_document.py reads the result).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """A Struct that refuses unknown fields (``forbid_unknown_fields``) says so in its schema:
    ``additionalProperties: false``. Without it the document calls valid a body the app
    answers ``400``."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
