// Turns the core's checkpoint summary into the widgets' plain Qt view of it (the one place both types meet).
#pragma once
#include "core/io/checkpoint_summary.h"
#include "widgets/checkpoint_view.h"

namespace gs::gui {

widgets::CheckpointView to_view(const io::CheckpointSummary& summary);

} // namespace gs::gui
