"""Template endpoints: the catalogue (list, categories, one template with its schema and docs), proving a
template's statement, and Solidity verifiers for a template's or a circuit's Groth16 key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from zapiki import schema, templates
from zapiki.api import openapi
from zapiki.api.handlers import ASYNC_MESSAGE, BaseHandler, _open_proof_links, _tier_checked
from zapiki.api.openapi import operation
from zapiki.config import Settings
from zapiki.templates import values


class TemplateQuery(BaseModel):
    """?category= of the templates list."""

    category: Literal[("", *templates.CATEGORIES)] = Field(  # type: ignore[valid-type]
        "", description="Only templates of this category (empty: all)"
    )


class TemplatesHandler(BaseHandler):
    @operation(
        id="listTemplates",
        summary="The proof templates: statements proved without writing a circuit",
        query=TemplateQuery,
        answers={200: (schema.Templates, "Templates")},
        errors=(422,),
    )
    async def get(self) -> None:
        category = self.parsed_query().category or None
        self.send({"templates": await self.run(self.ctx.service.templates, category)})


class TemplateCategoriesHandler(BaseHandler):
    @operation(
        id="listTemplateCategories",
        summary="The templates' categories",
        answers={200: (schema.Categories, "Categories")},
    )
    async def get(self) -> None:
        counts: dict[str, int] = {}
        for t in templates.all_templates():
            counts[t.category] = counts.get(t.category, 0) + 1
        cats = [{"id": c, "description": d, "templates": counts.get(c, 0)} for c, d in templates.CATEGORIES.items()]
        self.send({"categories": cats})


class TemplateHandler(BaseHandler):
    @operation(
        id="getTemplate",
        summary="One template: its inputs' JSON Schema, an example, its documentation and public signals",
        answers={200: (schema.Template, "The template")},
        errors=(404,),
    )
    async def get(self, template_id: str) -> None:
        self.send(await self.run(self.ctx.service.template, template_id))


def _shared_schemas(node: Any) -> Any:  # noqa: ANN401
    """A template's input schema for the document: its field elements and 64-bit integers (long patterns) as
    references to the shared FieldElement and Uint64 components."""
    if isinstance(node, dict):
        for name, shared in (("FieldElement", values.FIELD), ("Uint64", values.UINT64)):
            if node.get("anyOf") == shared["anyOf"]:
                return {"$ref": f"#/components/schemas/{name}", "description": node.get("description", "")}
        return {k: _shared_schemas(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_shared_schemas(v) for v in node]
    return node


def shared_components() -> dict[str, Any]:
    """The components the templates' request bodies refer to."""
    return {"FieldElement": values.FIELD, "Uint64": values.UINT64}


def _template_systems(settings: Settings) -> dict[str, Any]:
    """The systems this deployment proves templates with: groth16, and plonk where it has a powers of tau."""
    field = openapi.model_schema(schema.TemplateProofRequest)["properties"]["proof_system"]
    if not (settings.plonk_ptau or settings.templates_ptau):
        field = {**field, "enum": ["groth16"], "description": "groth16 (plonk needs a powers of tau: plonk.ptau)"}
    return field


def _body_schema(template: templates.Template) -> Callable[[Settings], dict[str, Any]]:
    def body(settings: Settings) -> dict[str, Any]:
        options = openapi.model_schema(schema.TemplateProofRequest)["properties"]["options"]
        return {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "inputs": {**_shared_schemas(template.input_schema), "description": f"{template.id}'s inputs"},
                "options": options,
                "proof_system": _template_systems(settings),
            },
        }

    return body


def template_proof_handler(template: templates.Template) -> type[BaseHandler]:
    """The handler of POST /api/v1/templates/{template.id}/generate: its body's schema is the template's own."""

    class Handler(BaseHandler):
        @operation(
            id=f"prove_{template.id}",
            summary=f"Prove: {template.summary} (a job; inputs that do not fit the schema are refused with 422, a "
            "false statement fails the job as an input error)",
            body_schema=_body_schema(template),
            answers={202: (schema.Accepted, "Job created")},
            errors=(413, 415, 422),
            links={202: _open_proof_links("proof_id", job=True)},
        )
        async def post(self) -> None:
            req = self.valid(schema.TemplateProofRequest, self.json_body())
            options = _tier_checked(self, req.options)
            svc = self.ctx.service
            out: dict[str, Any] = await self.run(
                lambda: svc.prove_template(self.user_id, template.id, req.inputs, options, system=req.proof_system)
            )
            self.set_header("Location", f"/api/v1/proofs/{out['proof_id']}")
            self.send({**out, "message": ASYNC_MESSAGE}, 202)

    Handler.__name__ = Handler.__qualname__ = f"Prove_{template.id}"
    return Handler


def template_routes() -> list[tuple[str, type]]:
    """(path, handler) of every template's proof endpoint."""
    return [(f"/api/v1/templates/{t.id}/generate", template_proof_handler(t)) for t in templates.all_templates()]


def _send_source(handler: BaseHandler, source: str, name: str) -> None:
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.set_header("Content-Disposition", f'inline; filename="{name}"')
    handler.finish(source)


class TemplateVerifierHandler(BaseHandler):
    @operation(
        id="getTemplateVerifier",
        summary="A Solidity verifier for the template's proofs made with this deployment's keys",
        answers={200: (str, "Solidity source")},
        errors=(404,),
    )
    async def get(self, template_id: str) -> None:
        svc = self.ctx.service
        source = await self.run(svc.template_verifier, template_id)
        _send_source(self, source, f"{template_id}_verifier.sol")


class CircuitVerifierHandler(BaseHandler):
    @operation(
        id="getCircuitVerifier",
        summary="A Solidity verifier for a Groth16 circuit's proofs",
        answers={200: (str, "Solidity source")},
        errors=(404, 422),
    )
    async def get(self, circuit_id: str) -> None:
        circuit_id = self.path_id(circuit_id, "circuit")
        svc = self.ctx.service
        source = await self.run(svc.circuit_verifier, circuit_id, self.scope)
        _send_source(self, source, "verifier.sol")
