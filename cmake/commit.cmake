# Writes OUTPUT, a header defining TASKS_COMMIT: COMMIT when given (a container build, whose
# context has no .git, passes it), else git's HEAD in SOURCE_DIR (12 hex digits, "-dirty" when
# tracked files differ from it), else "unknown". The file is rewritten only when the commit
# changes, so a build recompiles only what includes it, and only then.
if(NOT COMMIT)
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE failed ERROR_QUIET)
  if(failed)
    set(COMMIT "")
  elseif(COMMIT)
    execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes ERROR_QUIET)
    if(changes)
      string(APPEND COMMIT "-dirty")
    endif()
  endif()
endif()
# It ends up in a C string and a metric label.
if(NOT COMMIT MATCHES "^[0-9A-Za-z._-]+$")
  set(COMMIT unknown)
endif()
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "#define TASKS_COMMIT \"@COMMIT@\"\n" @ONLY)
