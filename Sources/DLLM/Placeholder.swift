// DLLM
