"""Queue environments (ListQueueEnvironments, GetQueueEnvironment): what ``deadline queue
paramdefs`` reads to list a queue's parameters.

Every queue has the conda environment the Deadline Cloud console creates by default
(``CondaPackages``/``CondaChannels``), and the Linux queues a second one that mounts the
project file system (``ProjectRoot``, a PATH). Templates are Open Job Description
environment templates, as YAML.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deadline_emulator.exceptions import ResourceNotFoundException
from deadline_emulator.pagination import paginate, query_hash
from deadline_emulator.seed import ADMIN, QueueSpec, hex_id

CONDA_TEMPLATE = """\
specificationVersion: 'environment-2023-09'
parameterDefinitions:
- name: CondaPackages
  type: STRING
  description: A space-separated list of Conda package match specifications to install.
  default: ''
  userInterface:
    control: LINE_EDIT
    label: Conda Packages
- name: CondaChannels
  type: STRING
  description: A space-separated list of Conda channels to search for packages.
  default: deadline-cloud
  userInterface:
    control: LINE_EDIT
    label: Conda Channels
environment:
  name: Conda
  script:
    actions:
      onEnter:
        command: conda-queue-env-enter
"""

MOUNT_TEMPLATE = """\
specificationVersion: 'environment-2023-09'
parameterDefinitions:
- name: ProjectRoot
  type: PATH
  objectType: DIRECTORY
  dataFlow: IN
  description: Where the project file system is mounted on the worker.
  default: /mnt/projects
environment:
  name: MountProjects
  script:
    actions:
      onEnter:
        command: mount-projects
"""


def _environments(seed: int, queue: QueueSpec, windows: bool) -> list[dict[str, Any]]:
    found = [("Conda", 10, CONDA_TEMPLATE)]
    if not windows:
        found.append(("MountProjects", 20, MOUNT_TEMPLATE))
    return [
        {
            "queueEnvironmentId": hex_id(seed, "queueenv", f"{queue.queue_id}:{name}"),
            "name": name,
            "priority": priority,
            "templateType": "YAML",
            "template": template,
            "createdAt": datetime.fromtimestamp(queue.created_at + 600, tz=UTC),
            "createdBy": ADMIN,
        }
        for name, priority, template in found
    ]


class QueueEnvironments:
    """Mixed into ``DeadlineBackend``."""

    def _queue_environments(self, farm_id: str, queue_id: str) -> list[dict[str, Any]]:
        queue = self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        fleets = self._fleets  # type: ignore[attr-defined]
        windows = any(fleets[f].os_family == "WINDOWS" for f in queue.fleet_ids)
        return _environments(self.seed, queue, windows)  # type: ignore[attr-defined]

    def list_queue_environments(
        self,
        farm_id: str,
        queue_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        environments = self._queue_environments(farm_id, queue_id)
        page, token = paginate(
            environments,
            lambda e: [e["priority"], e["queueEnvironmentId"]],
            query=query_hash("ListQueueEnvironments", farm_id, queue_id),
            next_token=next_token,
            max_results=max_results,
        )
        summaries = [
            {key: e[key] for key in ("queueEnvironmentId", "name", "priority")} for e in page
        ]
        answer: dict[str, Any] = {"environments": summaries}
        if token:
            answer["nextToken"] = token
        return answer

    def get_queue_environment(
        self, farm_id: str, queue_id: str, queue_environment_id: str, **_: Any
    ) -> dict[str, Any]:
        for environment in self._queue_environments(farm_id, queue_id):
            if environment["queueEnvironmentId"] == queue_environment_id:
                return dict(environment)
        raise ResourceNotFoundException(
            f"Queue environment {queue_environment_id} not found in queue {queue_id}",
            resource_id=queue_environment_id,
            resource_type="queueenvironment",
        )
