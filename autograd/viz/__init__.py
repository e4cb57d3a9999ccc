"""Computation-graph pictures: `to_dot` (DOT text, no Graphviz needed) and `draw_graph`
(a ``graphviz.Digraph`` that renders inline in Jupyter and with ``.render()``).

The pipeline, iterative throughout so that graphs of 1e5+ nodes neither recurse nor
take long (only Graphviz's own layout of a huge graph does; `max_nodes` and
`collapse` keep the picture small):

1. **Collect.** From the roots' nodes walk ``node.next`` with an explicit stack.  Each
   recorded node and each leaf tensor that requires grad becomes one vertex; each
   dependency (a non-None entry of ``next``) one edge, so ``x * x`` draws two edges.
   Nodes do not store their output's shape, so what a vertex shows comes from the
   tensors the graph still reaches: the roots, the inputs a consumer saved for backward
   (they are the producer's outputs), saved outputs, tensors kept by ``retain_grad``,
   and whatever `record_graph` stored.  After a backward without ``retain_graph`` the
   saved tensors are freed; draw before backward, or record under `record_graph`.
2. **Name.** Leaves (and any tensor) take their names from ``params``; nodes made while
   an ``nn.Module``'s forward ran carry that module (``node._module``), and its
   qualified name (``encoder.0``) comes from the model passed as ``params``, from
   the module stacks `record_graph` keeps, or from the parameter names.
3. **Group.** One Graphviz cluster per module, nested by qualified name.  With
   ``collapse`` each module (or each module at a depth) becomes one vertex and the
   parameters used only inside it fold into it; an RNN cell called at every step is one
   module, so its 50 steps become one vertex.
4. **Cap.** With ``max_nodes`` the vertices nearest the roots are kept and a note says
   how many were left out.
5. **Emit** DOT text with HTML labels.
"""
from __future__ import annotations

import shutil
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from ..tensor import Tensor
from ._dot import _build, _esc
from ._group import AUTO_COLLAPSE_LIMIT
from ._record import record_graph

__all__ = ["to_dot", "draw_graph", "record_graph", "GraphPicture", "DotNotFoundError"]

REPR_MAX_NODES = 300        # cap for the Jupyter picture of a tensor
_INSTALL_HINT = ("Graphviz's `dot` program is needed to render graph pictures but was not "
                 "found on PATH. Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS), `conda install graphviz`, or see "
                 "https://graphviz.org/download/. `autograd.to_dot(...)` gives the DOT text "
                 "without it.")


def to_dot(*roots: Any, params: Any = None, show_shapes: bool = True, show_grads: bool = False,
           show_saved: bool = False, rankdir: str = "TB", max_nodes: int | None = None,
           collapse: Any = "auto") -> str:
    """The DOT text of the graph that produced `roots` (see `draw_graph` for the
    arguments).  Needs neither Graphviz nor the ``graphviz`` package."""
    return _build(roots, params, show_shapes, show_grads, show_saved, rankdir, max_nodes,
                  collapse).source()


def draw_graph(*roots: Any, params: Any = None, show_shapes: bool = True,
               show_grads: bool = False, show_saved: bool = False, rankdir: str = "TB",
               max_nodes: int | None = None, collapse: Any = "auto") -> Any:
    """A picture of the computation graph that produced `roots` (Tensors, or tuples,
    lists or dicts of them), as a ``graphviz.Digraph``: displays inline in Jupyter,
    ``.render(path, format="svg")`` writes a file, ``.source`` is the DOT text.

    - One box per recorded op (its name and output shape and dtype; for one-element
      tensors the value, micrograd style) and per leaf that requires grad; one arrow per
      dependency, from input to consumer.
    - ``params``: names for leaves (and any tensor): ``dict(model.named_parameters())``,
      ``{"x": x, "w": w}``, or the model itself (which also names every module).
    - Ops made inside an ``nn.Module``'s forward are grouped in one cluster per module.
      ``collapse``: ``True`` draws each module as one box, an int ``d`` each module at
      depth ``d`` (``1``: the model's children), a name or list of names those modules,
      ``False`` every op; ``"auto"`` (default) collapses as deep as keeps the picture
      under ~80 boxes.  Parameters used only inside a collapsed module fold into it.
    - ``show_grads`` (after backward): gradient norms (values for one-element tensors).
      Any tensor holding NaN or inf is drawn red, and filled where it first appears.
    - ``show_saved``: the bytes each op keeps for backward, and the deduplicated total.
    - ``max_nodes``: keep that many boxes nearest the roots and say how many are left out.

    Shapes come from tensors the graph still holds; a backward without
    ``retain_graph`` frees them, so draw before it or record under
    `autograd.viz.record_graph`.  Rendering needs Graphviz's ``dot`` program.
    """
    import graphviz
    built = _build(roots, params, show_shapes, show_grads, show_saved, rankdir, max_nodes,
                   collapse)
    g = _picture_class(graphviz)("computation_graph", graph_attr=built.graph_attr,
                                 node_attr=built.node_attr, edge_attr=built.edge_attr)
    g.body.extend(built.body)
    return g


class DotNotFoundError(RuntimeError):
    """Graphviz's `dot` program is missing (rendering needs it; `to_dot` does not)."""


_PICTURE: list = []


def _picture_class(graphviz: Any) -> type:
    """GraphPicture, made on first use so importing autograd does not import graphviz."""
    if _PICTURE:
        return _PICTURE[0]

    class GraphPicture(graphviz.Digraph):
        """A graphviz.Digraph whose rendering errors say how to install Graphviz."""

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with _explain_missing_dot(graphviz):
                return super().render(*args, **kwargs)

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with _explain_missing_dot(graphviz):
                return super().pipe(*args, **kwargs)

        def view(self, *args: Any, **kwargs: Any) -> Any:
            with _explain_missing_dot(graphviz):
                return super().view(*args, **kwargs)

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                              **kwargs: Any) -> dict:
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except DotNotFoundError as e:
                return {"text/plain": f"{e}\n\n{self.source}"}

    GraphPicture.__qualname__ = "GraphPicture"
    GraphPicture.__module__ = __name__
    globals()["GraphPicture"] = GraphPicture
    _PICTURE.append(GraphPicture)
    return GraphPicture


@contextmanager
def _explain_missing_dot(graphviz: Any) -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound as e:
        raise DotNotFoundError(_INSTALL_HINT) from e


def __getattr__(name: str) -> Any:
    if name == "GraphPicture":
        import graphviz
        return _picture_class(graphviz)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- Jupyter: a tensor shows its value and, one click away, the graph that made it -----

def _tensor_svg(self: Tensor) -> str | None:
    """The SVG picture of the graph that produced this tensor (None for leaves or when
    Graphviz is missing)."""
    if self.grad_fn is None or shutil.which("dot") is None:
        return None
    try:
        return draw_graph(self, max_nodes=REPR_MAX_NODES).pipe(format="svg", encoding="utf-8")
    except Exception:  # a display hook must never break printing the tensor
        return None


def _tensor_mimebundle(self: Tensor, include: Any = None, exclude: Any = None) -> dict:
    """Jupyter's display: the repr, and for a non-leaf the graph picture under it."""
    text = repr(self)
    bundle = {"text/plain": text}
    if not _pictures_shown(include, exclude):
        return bundle
    svg = _tensor_svg(self)
    if svg is not None:
        bundle["image/svg+xml"] = svg
        bundle["text/html"] = (f"<pre>{_esc(text)}</pre><details><summary>computation graph"
                               f"</summary>{svg}</details>")
    return bundle


def _pictures_shown(include: Any, exclude: Any) -> bool:
    """Whether the front end shows SVG or HTML; terminal IPython shows only text, so
    there a tensor's display must not run Graphviz."""
    if include is None:
        ipython = sys.modules.get("IPython")   # only when already imported: no import cost
        shell = ipython.get_ipython() if ipython is not None else None
        include = getattr(getattr(shell, "display_formatter", None), "active_types", None)
    kinds = {"image/svg+xml", "text/html"}
    if include is not None:
        kinds &= set(include)
    return bool(kinds - set(exclude or ()))


Tensor._repr_svg_ = _tensor_svg
Tensor._repr_mimebundle_ = _tensor_mimebundle
