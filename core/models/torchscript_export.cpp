#include "core/models/torchscript_export.h"

#include "core/io/atomic_file.h"
#include "core/models/norm_layers.h"
#include "core/models/state_loading.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <sstream>

namespace gs::models {

void export_torchscript(Generator& g, const std::string& path) {
  const auto source = g.torchscript_forward();
  if (!source) throw ModelError(std::string("no TorchScript export for ") + arch_name(g.arch()) + " generators yet");
  torch::jit::Module m("ganstudio.Generator");
  std::set<std::string> parameters;
  for (const auto& p : g.module().named_parameters()) parameters.insert(p.key());
  for (const auto& [name, t] : state_dict(g.module())) {
    const std::string flat = torchscript_tensor(name).substr(5); // without "self."
    if (parameters.count(name))
      m.register_parameter(flat, t.detach().cpu().clone(), false);
    else
      m.register_buffer(flat, t.detach().cpu().clone());
  }
  m.define(*source);
  m.eval();
  std::ostringstream bytes;
  m.save(bytes);
  io::write_file_atomic(path, bytes.str());
}

} // namespace gs::models
