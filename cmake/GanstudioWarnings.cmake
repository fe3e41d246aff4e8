# Shared compile settings for the project's own targets.
function(ganstudio_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# Compiles `target` against core's precompiled Torch header. The header was built with -fPIC (core is PIC), and
# GCC ignores a PCH built with other PIC/PIE settings, so plain executables (PIE by default) get -fPIC too.
function(ganstudio_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM ganstudio_core)
  target_compile_options(${target} PRIVATE -fPIC)
endfunction()
