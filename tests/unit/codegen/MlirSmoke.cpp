//===- MlirSmoke.cpp - JIT one MLIR function through the ExecutionEngine -===//
//
// Half of the dependency smoke test: parse func/arith IR, lower it to the LLVM
// dialect with MLIR's pass manager and call it through the ExecutionEngine.
// This file includes LLVM headers and must never include Halide.h.
//
//===----------------------------------------------------------------------===//

#include "DependencySmoke.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

namespace dlc::smoke {

std::optional<int64_t> runMlirJit(int64_t a, int64_t b) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::LLVM::LLVMDialect>();
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::MLIRContext context(registry);

  const char *source = R"mlir(
    func.func @muladd(%a: i64, %b: i64) -> i64 attributes {llvm.emit_c_interface} {
      %0 = arith.muli %a, %b : i64
      %1 = arith.addi %0, %a : i64
      return %1 : i64
    }
  )mlir";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return std::nullopt;

  mlir::PassManager pm(&context);
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::createArithToLLVMConversionPass());
  if (mlir::failed(pm.run(*module)))
    return std::nullopt;

  auto engine = mlir::ExecutionEngine::create(*module);
  if (!engine) {
    llvm::consumeError(engine.takeError());
    return std::nullopt;
  }
  int64_t result = 0;
  llvm::Error error = (*engine)->invoke(
      "muladd", a, b, mlir::ExecutionEngine::Result<int64_t>(result));
  if (error) {
    llvm::consumeError(std::move(error));
    return std::nullopt;
  }
  return result;
}

} // namespace dlc::smoke
