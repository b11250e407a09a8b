"""The optimizer by hand, and the trainer: learning, determinism, stepping, divergence."""

import numpy as np
import pytest

from cnnviz.nn import SGD, TrainConfig, build_network
from cnnviz.training import DivergenceError, Trainer, evaluate
from helpers import bundled_float


@pytest.fixture(scope="module")
def data():
    return bundled_float(seed=0)


def small_trainer(data, n_train=64, n_test=50, net_seed=0, **config):
    train_x, train_y, test_x, test_y = data
    config = TrainConfig(**{"epochs": 1, "batch_size": 16, "lr": 0.05, "momentum": 0.9,
                            "weight_decay": 1e-4, **config})
    net = build_network(seed=net_seed)
    return Trainer(net, train_x[:n_train], train_y[:n_train], test_x[:n_test], test_y[:n_test],
                   config)


# -- SGD ------------------------------------------------------------------------------------

def test_sgd_momentum_and_weight_decay_by_hand():
    w = np.array([1.0, -2.0])
    opt = SGD({"w": w}, lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step({"w": np.array([0.5, 0.25])})
    # g = [0.5 + 0.01, 0.25 - 0.02] = [0.51, 0.23]; v = g; w = w - 0.1 v
    np.testing.assert_allclose(w, [1.0 - 0.051, -2.0 - 0.023], rtol=1e-12)
    opt.step({"w": np.array([-1.0, 0.0])})
    # g = [-1 + 0.01 * 0.949, 0 + 0.01 * -2.023] = [-0.99051, -0.02023]
    # v = 0.9 * [0.51, 0.23] + g = [-0.53151, 0.18677]; w -= 0.1 v
    np.testing.assert_allclose(w, [0.949 + 0.053151, -2.023 - 0.018677], rtol=1e-12)
    np.testing.assert_allclose(opt.velocity["w"], [-0.53151, 0.18677], rtol=1e-12)


def test_plain_sgd_and_lr_change_between_steps():
    w = np.array([[1.0, 2.0]], dtype=np.float32)
    opt = SGD({"w": w}, lr=0.5)
    opt.step({"w": np.array([[1.0, -1.0]], dtype=np.float32)})
    np.testing.assert_array_equal(w, [[0.5, 2.5]])
    opt.lr = 0.25
    opt.step({"w": np.array([[2.0, 2.0]], dtype=np.float32)})
    np.testing.assert_array_equal(w, [[0.0, 2.0]])
    assert w.dtype == np.float32


# -- the trainer ------------------------------------------------------------------------------

def test_one_epoch_on_bundled_data_learns(data):
    train_x, train_y, test_x, test_y = data
    net = build_network(seed=0)
    # A 3,000-image subset keeps this quick; lr 0.02 suits a single short epoch (~0.93).
    config = TrainConfig(epochs=1, batch_size=32, lr=0.02, momentum=0.9, weight_decay=1e-4)
    trainer = Trainer(net, train_x[:3000], train_y[:3000], test_x, test_y, config)
    assert trainer.batches_per_epoch == 94 and trainer.total_steps == 94
    epoch = None
    while not trainer.finished:
        result = trainer.step()
        epoch = result.epoch or epoch
    assert trainer.step_count == 94
    assert epoch is not None and trainer.history == [epoch]
    assert epoch.test_accuracy > 0.9, epoch.test_accuracy
    assert epoch.evaluation.n == len(test_y)
    assert evaluate(net, test_x, test_y).accuracy == epoch.test_accuracy
    assert epoch.train_loss < 2.0 and epoch.test_loss < 0.5


def _losses(trainer, steps):
    return [trainer.step().batch.loss for _ in range(steps)]


def test_same_seed_same_losses_different_seed_different(data):
    a = _losses(small_trainer(data, seed=7, epochs=2), 6)
    b = _losses(small_trainer(data, seed=7, epochs=2), 6)
    c = _losses(small_trainer(data, seed=8, epochs=2), 6)
    assert a == b
    assert a != c


def test_step_runs_exactly_one_batch(data):
    trainer = small_trainer(data, momentum=0.9, weight_decay=1e-3)
    twin = build_network(seed=0)                       # the same initial weights
    indices = trainer.next_batch_indices().copy()
    assert len(indices) == 16
    before = trainer.net.copy_params()
    train_x, train_y = trainer.train_images, trainer.train_labels
    loss, grads = twin.loss_and_grads(train_x[indices], train_y[indices])
    expected = {k: before[k] - 0.05 * (grads[k] + 1e-3 * before[k]) for k in before}

    result = trainer.step()

    assert trainer.step_count == 1 and trainer.batch == 1 and trainer.epoch == 0
    assert result.epoch is None
    event = result.batch
    assert (event.step, event.epoch, event.batch, event.batches_per_epoch, event.batch_size) == \
        (1, 0, 0, 4, 16)
    assert event.lr == 0.05 and event.images_per_second > 0
    assert event.loss == pytest.approx(loss, rel=1e-6)
    assert event.epoch_progress == pytest.approx(0.25)
    for name, value in trainer.net.params.items():
        assert not np.array_equal(value, before[name]), f"{name} did not change"
        np.testing.assert_allclose(value, expected[name], rtol=1e-5, atol=1e-7, err_msg=name)
    assert not np.array_equal(trainer.next_batch_indices(), indices)


def test_output_grads_pass_through_step(data):
    trainer = small_trainer(data)
    output_grads = {}
    trainer.step(output_grads=output_grads)
    assert output_grads["pool1"].shape == (16, 20, 12, 12)


def test_epoch_end_evaluates_and_reshuffles(data):
    trainer = small_trainer(data, epochs=2)         # 64 images, batch 16: 4 batches an epoch
    first_batch = trainer.next_batch_indices().copy()
    results = [trainer.step() for _ in range(4)]
    assert [r.epoch is None for r in results] == [True, True, True, False]
    epoch = results[-1].epoch
    assert epoch.epoch == 0 and trainer.epoch == 1 and trainer.batch == 0
    check = evaluate(trainer.net, trainer.test_images, trainer.test_labels)
    assert epoch.test_accuracy == check.accuracy
    assert epoch.test_loss == pytest.approx(check.loss)
    assert epoch.train_loss == pytest.approx(np.mean([r.batch.loss for r in results]))
    assert epoch.train_accuracy == pytest.approx(np.mean([r.batch.accuracy for r in results]))
    assert epoch.evaluation.confusion_matrix(trainer.test_labels).sum() == 50
    assert not np.array_equal(trainer.next_batch_indices(), first_batch)    # reshuffled
    for _ in range(4):
        result = trainer.step()
    assert result.epoch.epoch == 1 and trainer.finished and len(trainer.history) == 2
    with pytest.raises(RuntimeError):
        trainer.step()


def test_uneven_last_batch(data):
    trainer = small_trainer(data, n_train=40)       # batches of 16, 16, 8
    sizes = [trainer.step().batch.batch_size for _ in range(3)]
    assert sizes == [16, 16, 8] and trainer.finished


def test_set_learning_rate_applies_to_the_next_batch(data):
    trainer = small_trainer(data, momentum=0.0, weight_decay=0.0, lr=0.05)
    trainer.step()
    trainer.set_learning_rate(0.01)
    assert trainer.current_lr == 0.01
    before = trainer.net.copy_params()
    twin = build_network(seed=0)
    twin.load_params(before)
    indices = trainer.next_batch_indices()
    _, grads = twin.loss_and_grads(trainer.train_images[indices], trainer.train_labels[indices])
    event = trainer.step().batch
    assert event.lr == 0.01
    for name, value in trainer.net.params.items():
        np.testing.assert_allclose(value, before[name] - 0.01 * grads[name], rtol=1e-5,
                                   atol=1e-8, err_msg=name)
    with pytest.raises(ValueError):
        trainer.set_learning_rate(0.0)
    with pytest.raises(ValueError):
        trainer.set_momentum(1.0)


def test_learning_rate_decays_by_epoch(data):
    trainer = small_trainer(data, n_train=32, epochs=3, lr=0.1, lr_decay=0.5, lr_decay_every=1)
    lrs = [trainer.step().batch.lr for _ in range(6)]
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_huge_learning_rate_raises_divergence_and_keeps_weights(data):
    trainer = small_trainer(data, lr=1e6, momentum=0.9, epochs=5)
    error = None
    with np.errstate(all="ignore"):
        for _ in range(20):
            before = trainer.net.copy_params()
            steps = trainer.step_count
            try:
                trainer.step()
            except DivergenceError as exc:
                error = exc
                break
    assert error is not None, "a learning rate of 1e6 never diverged"
    assert error.lr == 1e6
    assert f"{1e6:g}" in str(error) and "e.g. 0.01" in str(error)   # names lr, suggests a sane one
    assert not np.isfinite(error.loss) or error.step == steps + 1
    assert trainer.step_count == steps
    for name, value in trainer.net.params.items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_detailed_step_records_exactly_what_one_step_did(data):
    from cnnviz.nn import build_network
    from cnnviz.training.snapshot import detailed_step

    trainer = small_trainer(data)
    indices = trainer.next_batch_indices().copy()
    result, detail = detailed_step(trainer)
    assert trainer.step_count == 1 and detail.step == 1
    np.testing.assert_array_equal(detail.indices, indices)
    for name, now in trainer.net.params.items():
        np.testing.assert_array_equal(detail.params_after[name], now)
        np.testing.assert_array_equal(detail.params_before[name] + detail.delta(name),
                                      detail.params_after[name])
    replay = build_network(config=trainer.net.config)
    replay.load_params(detail.params_before)
    loss, _ = replay.loss_and_grads(detail.images, detail.labels)
    assert detail.loss_before == result.batch.loss == pytest.approx(loss, rel=1e-6)
    replay.load_params(detail.params_after)
    after, _ = replay.loss_and_grads(detail.images, detail.labels)
    assert detail.loss_after == pytest.approx(after, rel=1e-6)
    assert set(detail.output_grads) >= {"conv1", "pool1", "conv2", "pool2", "fc2"}


def test_sgd_on_a_network_updates_its_one_flat_buffer_like_parameter_by_parameter():
    """A network keeps its parameters in one flat array: SGD then updates the whole buffer
    at once, which must give what the one-parameter-at-a-time update gives."""
    net = build_network(dtype=np.float64)
    separate = {name: value.copy() for name, value in net.params.items()}
    flat_opt = SGD(net.params, lr=0.1, momentum=0.9, weight_decay=1e-3)
    loop_opt = SGD(separate, lr=0.1, momentum=0.9, weight_decay=1e-3)
    velocity = list(flat_opt.velocity.values())
    assert all(v.base is velocity[0].base for v in velocity)       # one buffer
    assert all(v.base is None for v in loop_opt.velocity.values())
    x, labels = np.random.default_rng(0).random((3, 1, 28, 28)), np.array([1, 7, 3])
    for lr in (0.1, 0.05, 0.2):
        _, grads = net.loss_and_grads(x, labels)
        loop_grads = {name: g.copy() for name, g in grads.items()}   # not views: the loop
        flat_opt.lr = loop_opt.lr = lr
        flat_opt.step(grads)
        loop_opt.step(loop_grads)
    for name, value in net.params.items():
        np.testing.assert_allclose(value, separate[name], rtol=1e-12, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(flat_opt.velocity[name], loop_opt.velocity[name],
                                   rtol=1e-12, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpby_blas_and_numpy_fallback_agree(dtype):
    from cnnviz.nn.blas import axpby

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(1000).astype(dtype), rng.standard_normal(1000).astype(dtype)
    expected = 0.3 * x.astype(np.float64) + 0.9 * y.astype(np.float64)
    fused = y.copy()
    axpby(0.3, x, 0.9, fused, np.empty_like(x))                      # contiguous: BLAS
    strided = np.repeat(y, 2)[::2]                                   # not contiguous: NumPy
    axpby(0.3, np.repeat(x, 2)[::2], 0.9, strided, np.empty_like(x))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(fused, expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(strided, expected, rtol=tol, atol=tol)
    assert fused.dtype == strided.dtype == dtype


def test_a_step_schedule_steps_down_to_its_floor_and_keeps_learning():
    """Halving every epoch used to leave 3.6e-14 of the rate by epoch 40: a step schedule now
    stops at ``lr_floor`` of the base rate, and says so."""
    from cnnviz.nn.schedule import describe
    config = TrainConfig(epochs=40, lr=0.02, lr_schedule="step", lr_decay=0.5, lr_decay_every=1)
    rates = [config.lr_at_epoch(e) for e in range(40)]
    assert rates[:3] == pytest.approx([0.02, 0.01, 0.005])          # it still steps
    assert min(rates) == pytest.approx(0.02 * config.lr_floor)       # ...down to the floor
    assert rates[-1] == pytest.approx(0.001)
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert describe(config) == "halved every epoch, down to 5%"
    slow = TrainConfig(epochs=50, lr=0.005, lr_schedule="step", lr_decay=0.9, lr_decay_every=10)
    assert slow.lr_at_epoch(49) == pytest.approx(0.005 * 0.9 ** 4)   # above the floor: as before
    assert describe(TrainConfig(lr_schedule="step", lr_decay=1.0)) == "constant"
