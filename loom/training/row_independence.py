"""Whether a batch's outputs depend row by row on its inputs: row i of every output
reads row i of the inputs and nothing from other rows.

predict pads the last, partial batch of a chunk with zero rows so every call has the
same shapes (a new data length compiles nothing new). That is exact only when rows do
not see each other; a layer that centres on the batch mean, say, would see the zero
rows. Keras predicts the partial batch at its own size, so loom does too unless this
module proves, from the traced step, that padding changes nothing.

The proof follows the batch axis of every value through the jaxpr. It knows the
primitives dense, convolutional, elementwise, embedding and recurrent models are made
of, and answers "not proven" for anything else (while loops, scans over the rows,
sorts across rows, gathers of batched values, unknown primitives): a wrong "no" costs
one compile of the partial batch, a wrong "yes" would change results. Depending on a
row's position (a constant added row by row) is fine: padding keeps every real row
where it was.
"""

from jax.extend import core as jax_core

_ELEMENTWISE = frozenset({
    "abs", "acos", "acosh", "add", "and", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "clamp",
    "convert_element_type", "copy", "copy_p", "cos", "cosh", "digamma", "div", "eq", "erf", "erf_inv", "erfc", "exp",
    "exp2", "expm1", "floor", "ge", "gt", "igamma", "imag", "integer_pow", "is_finite", "le", "lgamma", "log", "log1p",
    "logistic", "lt", "max", "min", "mul", "ne", "neg", "nextafter", "not", "or", "pow", "real", "reduce_precision",
    "rem", "round", "rsqrt", "select_n", "shift_left", "shift_right_arithmetic", "shift_right_logical", "sign", "sin",
    "sinh", "sqrt", "square", "stop_gradient", "sub", "tan", "tanh", "xor",
    "sharding_constraint", "optimization_barrier",
})
_REDUCTIONS = frozenset({"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and", "reduce_or",
                         "argmax", "argmin"})
_ALONG_AXIS = {"cumsum": "axis", "cumprod": "axis", "cummax": "axis", "cummin": "axis", "cumlogsumexp": "axis"}
# Primitives that call a jaxpr with their operands as its inputs, one to one (not loops:
# a scan's body sees slices of its operands).
_CALLS = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr", "custom_vjp_call_jaxpr": "fun_jaxpr",
          "checkpoint": "jaxpr", "remat": "jaxpr"}


class _NotProven(Exception):
    pass


def rows_are_independent(closed_jaxpr, batched_inputs: list) -> bool:
    """Whether the outputs of ``closed_jaxpr`` (each with rows on axis 0) depend row by row
    on the inputs marked True in ``batched_inputs`` (rows on axis 0)."""
    try:
        axes = _walk(closed_jaxpr.jaxpr, [0 if batched else None for batched in batched_inputs])
    except _NotProven:
        return False
    return all(axis == 0 for axis in axes)


def _walk(jaxpr, input_axes: list) -> list:
    axes = {}

    def axis_of(var):
        if isinstance(var, jax_core.Literal):
            return None
        return axes.get(var)

    for var, axis in zip(jaxpr.invars, input_axes):
        axes[var] = axis
    for equation in jaxpr.eqns:
        operands = [axis_of(v) for v in equation.invars]
        if all(axis is None for axis in operands):
            results = [None] * len(equation.outvars)  # nothing batched flows in: a constant
        else:
            results = _rule(equation, operands)
        for var, axis in zip(equation.outvars, results):
            axes[var] = axis
    return [axis_of(v) for v in jaxpr.outvars]


def _shape(var):
    return tuple(var.aval.shape)


def _rule(equation, operands: list) -> list:
    name, params = equation.primitive.name, equation.params
    batched = [axis for axis in operands if axis is not None]
    if name in _ELEMENTWISE:
        if len(set(batched)) != 1:
            raise _NotProven
        return [batched[0]] * len(equation.outvars)
    axis = operands[0] if len(operands) == 1 else None
    if name == "broadcast_in_dim":
        axis = operands[0]
        target = params["broadcast_dimensions"][axis]
        if params["shape"][target] != _shape(equation.invars[0])[axis]:
            raise _NotProven  # the rows themselves broadcast
        return [target]
    if name == "transpose":
        return [list(params["permutation"]).index(axis)]
    if name == "reshape" and axis == 0:
        if params["new_sizes"][0] != _shape(equation.invars[0])[0]:
            raise _NotProven
        return [0]
    if name == "squeeze" and axis is not None:
        dimensions = params["dimensions"]
        if axis in dimensions:
            raise _NotProven
        return [axis - sum(d < axis for d in dimensions)]
    if name in _REDUCTIONS and axis is not None:
        reduced = params["axes"]
        if axis in reduced:
            raise _NotProven
        return [axis - sum(d < axis for d in reduced)]
    if name in _ALONG_AXIS and axis is not None:
        if params[_ALONG_AXIS[name]] == axis:
            raise _NotProven
        return [axis]
    if name == "dot_general":
        return [_dot_general(equation, operands)]
    if name == "conv_general_dilated":
        lhs, rhs = operands
        numbers = params["dimension_numbers"]
        if rhs is not None or lhs != numbers.lhs_spec[0] or params.get("batch_group_count", 1) != 1:
            raise _NotProven  # (batch groups would mix rows)
        return [numbers.out_spec[0]]
    if name == "concatenate":
        if len(set(batched)) != 1 or len(batched) != len(operands) or params["dimension"] == batched[0]:
            raise _NotProven
        return [batched[0]]
    if name == "pad" and operands[1] is None:
        low, high, _ = params["padding_config"][operands[0]]
        if low or high:
            raise _NotProven
        return [operands[0]]
    if name == "slice" and axis is not None:
        start, limit = params["start_indices"][axis], params["limit_indices"][axis]
        strides = params["strides"]
        if start != 0 or limit != _shape(equation.invars[0])[axis] or (strides and strides[axis] != 1):
            raise _NotProven
        return [axis]
    if name.startswith("reduce_window") and axis is not None:  # pooling: a window of one row
        window, strides = params["window_dimensions"], params["window_strides"]
        padding, base, dilation = params["padding"], params.get("base_dilation"), params.get("window_dilation")
        if window[axis] != 1 or strides[axis] != 1 or tuple(padding[axis]) != (0, 0) or (
            base and base[axis] != 1
        ) or (dilation and dilation[axis] != 1):
            raise _NotProven
        return [axis]
    if name == "split" and axis is not None:
        if params["axis"] == axis:
            raise _NotProven
        return [axis] * len(equation.outvars)
    if name == "dynamic_slice" and operands[0] is not None and all(a is None for a in operands[1:]):
        axis = operands[0]
        if params["slice_sizes"][axis] != _shape(equation.invars[0])[axis]:
            raise _NotProven
        return [axis]
    if name == "top_k" and axis is not None:
        if axis == len(_shape(equation.invars[0])) - 1:
            raise _NotProven
        return [axis, axis]
    if name == "gather" and operands[0] is None:  # a lookup in a table (Embedding): row i reads ids of row i
        return [_gather(equation, operands[1])]
    if name == "scan":
        return _scan(equation, operands)
    inner = params.get(_CALLS[name]) if name in _CALLS else None
    if inner is not None:  # nested jit, custom_jvp/custom_vjp functions, remat
        inner = inner.jaxpr if hasattr(inner, "jaxpr") else inner
        if len(inner.invars) == len(operands):
            return _walk(inner, operands)
    raise _NotProven  # gathers, loops, sorts, scatter, anything unknown


def _dot_general(equation, operands: list):
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = equation.params["dimension_numbers"]
    lhs, rhs = operands
    lhs_rank, rhs_rank = len(_shape(equation.invars[0])), len(_shape(equation.invars[1]))
    lhs_free = [d for d in range(lhs_rank) if d not in lhs_contract and d not in lhs_batch]
    rhs_free = [d for d in range(rhs_rank) if d not in rhs_contract and d not in rhs_batch]
    if lhs is not None and rhs is not None:
        if lhs in lhs_batch and rhs in rhs_batch and list(lhs_batch).index(lhs) == list(rhs_batch).index(rhs):
            return list(lhs_batch).index(lhs)
        raise _NotProven
    if lhs is not None:
        if lhs not in lhs_free:
            raise _NotProven
        return len(lhs_batch) + lhs_free.index(lhs)
    if rhs not in rhs_free:
        raise _NotProven
    return len(rhs_batch) + len(lhs_free) + rhs_free.index(rhs)


def _gather(equation, axis: int) -> int:
    """The output axis of rows for a gather from an unbatched operand with indices whose rows
    are on ``axis``: the output's non-offset axes are the indices' axes (but the last, the
    index vector), in order."""
    numbers = equation.params["dimension_numbers"]
    index_rank = len(_shape(equation.invars[1]))
    if numbers.operand_batching_dims or axis == index_rank - 1:
        raise _NotProven
    output_rank = len(_shape(equation.outvars[0]))
    batch_positions = [d for d in range(output_rank) if d not in numbers.offset_dims]
    return batch_positions[axis]


def _scan(equation, operands: list) -> list:
    """A scan over an axis other than the rows (an RNN over time): the body sees each
    operand's slice, its carry keeps the rows where they are from one step to the next."""
    params = equation.params
    body, consts, carries = params["jaxpr"].jaxpr, params["num_consts"], params["num_carry"]
    sliced = []
    for axis in operands[consts + carries :]:
        if axis == 0:
            raise _NotProven  # scanning over the rows themselves
        sliced.append(None if axis is None else axis - 1)
    carry = list(operands[consts : consts + carries])
    for _ in range(carries + 1):  # a carry made from constants picks up rows at most once per carry
        results = _walk(body, list(operands[:consts]) + carry + sliced)
        new = results[:carries]
        if new == carry:
            stacked = [None if axis is None else axis + 1 for axis in results[carries:]]
            return carry + stacked
        if any(before is not None and before != after for before, after in zip(carry, new)):
            raise _NotProven  # a carry's rows moved between steps
        carry = [before if before is not None else after for before, after in zip(carry, new)]
    raise _NotProven
