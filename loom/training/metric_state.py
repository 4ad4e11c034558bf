"""MetricState: the metrics a compiled run tracks, with their state as one flat list of arrays."""


class MetricState:
    """Resets, splits and reads the state of ``metrics`` (pure; no Variable is touched).

    Args:
        metrics: Metric objects, in the order their variables appear in the state.
        names: the log name of each metric.
    """

    def __init__(self, metrics: list, names: list):
        self._metrics = list(metrics)
        self._names = list(names)

    @property
    def metrics(self) -> list:
        return self._metrics

    @property
    def names(self) -> list:
        return self._names

    @property
    def variables(self) -> list:
        return [v for metric in self.metrics for v in metric.variables]

    def reset_values(self) -> list:
        return [value for metric in self.metrics for value in metric.stateless_reset_state()]

    def split(self, values) -> list:
        """``values`` cut into one list per metric."""
        pieces, start = [], 0
        for metric in self.metrics:
            count = len(metric.variables)
            pieces.append(list(values[start : start + count]))
            start += count
        return pieces

    def results(self, values) -> dict:
        """``{name: result}`` for every metric (pure); dict results are merged in, as Keras logs them."""
        results = {}
        for name, metric, piece in zip(self.names, self.metrics, self.split(values)):
            value = metric.stateless_result(piece)
            if isinstance(value, dict):
                results.update(value)
            else:
                results[name] = value
        return results
