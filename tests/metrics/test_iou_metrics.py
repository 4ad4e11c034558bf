import numpy as np
import pytest

from loom import metrics


def _iou_reference(y_true, y_pred, weights, num_classes, target_class_ids, ignore_class=None):
    """Mean IoU of the target classes present, from a confusion matrix counted in a Python loop."""
    cm = np.zeros((num_classes, num_classes))
    for t, p, w in zip(y_true.ravel(), y_pred.ravel(), weights.ravel()):
        if 0 <= t < num_classes and 0 <= p < num_classes and t != ignore_class:
            cm[t, p] += w
    ious = []
    for c in target_class_ids:
        union = cm[c, :].sum() + cm[:, c].sum() - cm[c, c]
        if union > 0:
            ious.append(cm[c, c] / union)
    return np.mean(ious) if ious else 0.0


@pytest.mark.parametrize("ignore_class", [None, 2])
def test_iou_over_batches_equals_numpy_confusion_matrix(ignore_class):
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 5, (3, 6, 7))
    y_pred = rng.integers(-1, 6, (3, 6, 7))  # -1 and 5 fall outside: left out of the counts
    weights = rng.uniform(0, 2, (3, 6, 7)).astype("float32")
    m = metrics.IoU(num_classes=5, target_class_ids=[0, 2, 4], ignore_class=ignore_class, dtype="float32")
    mean = metrics.MeanIoU(num_classes=5, ignore_class=ignore_class, dtype="float32")
    for i in range(3):
        m.update_state(y_true[i], y_pred[i], sample_weight=weights[i])
        mean.update_state(y_true[i], y_pred[i], sample_weight=weights[i])
    expected = _iou_reference(y_true, y_pred, weights, 5, [0, 2, 4], ignore_class)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)
    expected_mean = _iou_reference(y_true, y_pred, weights, 5, range(5), ignore_class)
    np.testing.assert_allclose(float(mean.result()), expected_mean, rtol=1e-5)


def test_iou_documented_values_and_absent_classes():
    np.testing.assert_allclose(float(metrics.MeanIoU(num_classes=2)([0, 0, 1, 1], [0, 1, 0, 1])), 1 / 3, rtol=1e-6)
    # Class 2 never appears, so it does not pull the mean down.
    m = metrics.MeanIoU(num_classes=3)
    np.testing.assert_allclose(float(m([0, 1], [0, 1])), 1.0, rtol=1e-6)
    assert m.dtype == "int32" and m.total_cm.dtype == "int32"
    binary = metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
    np.testing.assert_allclose(float(binary([0, 1, 0, 1], [0.1, 0.9, 0.6, 0.4])), 1 / 3, rtol=1e-6)


def test_one_hot_forms_take_the_argmax():
    y_true = np.eye(3, dtype="float32")[[2, 0, 1, 0]]
    y_pred = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]], "float32")
    sparse = metrics.IoU(num_classes=3, target_class_ids=[0, 2])
    one_hot = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    np.testing.assert_allclose(float(one_hot(y_true, y_pred)), float(sparse([2, 0, 1, 0], [2, 2, 0, 2])))
    # Labels 2, 0, 1, 0 against predictions 2, 2, 0, 2: only class 2 overlaps, 1 of a union of 3.
    np.testing.assert_allclose(float(metrics.OneHotMeanIoU(num_classes=3)(y_true, y_pred)), 1 / 9, rtol=1e-6)


def test_float_weights_on_integer_counts_warn():
    m = metrics.MeanIoU(num_classes=2, name="miou")
    with pytest.warns(UserWarning, match=r"MeanIoU 'miou' counts in int32, so float sample weights are truncated"):
        m.update_state([0, 1], [0, 1], sample_weight=np.array([0.5, 1.5], "float32"))
    np.testing.assert_array_equal(np.asarray(m.total_cm.value), [[0, 0], [0, 1]])


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[3]),
         r"IoU: `target_class_ids` must be a non-empty list of class ids in \[0, 3\)"),
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[]), r"`target_class_ids` must be a non-empty list"),
        (lambda: metrics.MeanIoU(num_classes=0), r"MeanIoU: `num_classes` must be a positive int; received.*=0"),
        (lambda: metrics.MeanIoU(num_classes=3, ignore_class=0.5), r"`ignore_class` must be an int"),
    ],
)  # fmt: skip
def test_iou_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_iou_shape_errors_are_named():
    m = metrics.MeanIoU(num_classes=3, name="miou")
    with pytest.raises(ValueError, match=r"MeanIoU 'miou': y_true and y_pred must hold one class id per position.*"
                                         r"received 4 labels and 12 predictions"):  # fmt: skip
        m.update_state([0, 1, 2, 0], np.ones((4, 3), "float32"))
    with pytest.raises(ValueError, match=r"`sample_weight` of shape \(3,\) does not fit the 4 labels"):
        m.update_state([0, 1, 2, 0], [0, 1, 2, 0], sample_weight=np.ones(3, "int32"))
