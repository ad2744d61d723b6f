# The attack boundary (src/attacks/attacker.h): attack sources include nothing that defines the
# Machine, the memory controller, the cache, the Secure Processor, the core or the host kernel,
# and breaches written as code fail to compile; each check with its control
# (tests/unit/attacks/boundary.py). They preprocess and compile with the build's own flags.
foreach(mode includes compile)
  add_test(NAME attacks.boundary_${mode}
    COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/boundary.py ${mode}
            --src ${PROJECT_SOURCE_DIR}/src --build ${PROJECT_BINARY_DIR}
            --cxx ${CMAKE_CXX_COMPILER})
  set_tests_properties(attacks.boundary_${mode} PROPERTIES TIMEOUT 300 COST 7)
endforeach()
