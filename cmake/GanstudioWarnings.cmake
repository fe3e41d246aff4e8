# Shared compile settings for the project's own targets.
function(ganstudio_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
