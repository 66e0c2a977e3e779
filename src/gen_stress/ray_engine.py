"""Shards as Ray tasks (`--engine ray`): one task per shard, each writing its shard
straight to the output: the run's staging folder, on a file system every node sees (a
shared mount, or one machine), or an object store (gen_stress.store). A shard is written
under a temporary name and renamed, or uploaded only once complete, so a task that dies
leaves no partial shard; Ray retries it on another worker. The driver shows progress as
shards complete, then writes the card (gen_stress.dataset).

Ray is an optional extra: `pip install 'gen-stress[ray]'`, on every node.
"""

from __future__ import annotations

import logging

from tqdm import tqdm

from gen_stress.errors import GenerationError, UserError
from gen_stress.pipeline import ShardTask, write_shard

INSTALL_HINT = "--engine ray needs Ray, which is not installed: pip install 'gen-stress[ray]'"
MAX_RETRIES = 4  # a task whose worker or node died is run again this many times
WAIT_S = 1.0  # how often the driver looks for finished shards


def import_ray():
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return ray


def connect(address: str | None):
    """Join the cluster at `address` (None: RAY_ADDRESS, a running local cluster, or a new
    local one); a cluster that cannot be reached is one line."""
    ray = import_ray()
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"at {address}" if address else "(RAY_ADDRESS or local)"
        raise UserError(f"cannot reach the Ray cluster {where}: {str(err).splitlines()[0]}") from None
    return ray


def run_shards_ray(tasks: list[ShardTask], address: str | None, progress: bool) -> None:
    """Run one Ray task per shard; returns when every shard is in place."""
    if not tasks:
        return
    ray = connect(address)
    try:
        remote = ray.remote(write_shard).options(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)
        pending = {remote.remote(task): task for task in tasks}
        families = sorted({t.part.family for t in tasks})
        with tqdm(total=sum(t.stop - t.start for t in tasks), unit="sample", dynamic_ncols=True,
                  desc="generating " + ",".join(families) + " on Ray", disable=not progress) as bar:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_S)
                for ref in done:
                    task = pending.pop(ref)
                    _result(ray, ref, task)
                    bar.update(task.stop - task.start)
    finally:
        ray.shutdown()


def _result(ray, ref, task: ShardTask) -> None:
    """Re-raise a task's failure as the CLI's own error (one line, no remote traceback)."""
    try:
        ray.get(ref)
    except ray.exceptions.RayTaskError as err:
        cause = err.cause if err.cause is not None else err
        if isinstance(cause, (GenerationError, UserError)):
            raise type(cause)(str(cause)) from None
        raise GenerationError(f"shard {task.filename} failed on Ray: {type(cause).__name__}: "
                              f"{str(cause).splitlines()[0] if str(cause) else ''}") from None
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.TaskCancelledError) as err:
        raise GenerationError(f"shard {task.filename}: its Ray worker died {MAX_RETRIES + 1} times "
                              f"({type(err).__name__})") from None
