"""What the Studio does, one controller per concern, without widgets.

Why controllers and not window mixins: each one gets only what it needs (the
`ProjectDocument`, the `ViewState`, the `JobRunner`, a `Prompts` object and, for playback,
the `Transport`), runs `jobs` functions in workers and writes the results back as document
edits or view-state changes. Widgets subscribe to those; the window only wires them, so each
controller is testable without a MainWindow.

- `project.ProjectController`: new / open / save / recover, analyse a clip, the guide sound, undo
- `generation.GenerationController`: engines, generate takes (one subject or all), export stems
- `scores.ScoresController` (made by the generation controller): which takes were made from older
  lanes, and their E-L1/Align rescored against the lanes now, in the background
- `subjects.SubjectsController`: choose, find, merge, split, rename, delete subjects
- `editing.EditingController`: box keyframes and re-tracking, envelope sources, follow box, planned steps
- `playback.PlaybackController`: which takes are heard and how loud, A/B, reference preview
- `view_settings.ViewSettingsController`: takes, seed, selected take and lane zoom saved with the project
"""

from .editing import EditingController
from .generation import GenerationController, takes_dir
from .playback import PlaybackController
from .project import ProjectController
from .subjects import SubjectsController
from .view_settings import ViewSettingsController

__all__ = ["EditingController", "GenerationController", "PlaybackController", "ProjectController",
           "SubjectsController", "ViewSettingsController", "takes_dir"]
